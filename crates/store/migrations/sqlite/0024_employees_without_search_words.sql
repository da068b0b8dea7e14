-- The employees whose search columns are still to fill (older than 0019, or whose keys an older
-- server wrote): every start looks for them (employees::fill_search_columns), and without this
-- index that look reads the whole table (4.7 s with 10^6 employees and a cold cache). Once they
-- are filled the index is empty.
CREATE INDEX employees_without_search_words ON employees (id) WHERE search_words IS NULL;
