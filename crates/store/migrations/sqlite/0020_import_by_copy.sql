-- Nothing changes on SQLite: the import writes employees with ids it chose after the largest
-- one (one writer), which an INTEGER PRIMARY KEY accepts. PostgreSQL's migration of the same name
-- lets its COPY do the same.
SELECT 1;
