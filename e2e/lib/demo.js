// What the browser tests know of the demo data: its people file (the local registry's), and how
// to choose an employee whom nothing but the test itself can stop.

import { readFile } from 'node:fs/promises';

/** The rows of a small CSV file (RFC 4180 quoting) as objects keyed by the header. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), (r[i] ?? '').trim()])));
}

/**
 * An employee of the API caller's organisations with no application, whom the local registry
 * (`peopleCsv`) knows with an ID card and without a Police mismatch.
 */
export async function pickEmployee(api, peopleCsv) {
  const people = parseCsv(await readFile(peopleCsv, 'utf8'));
  const clean = new Map(
    people
      .filter((p) => p.id_card && !p.police_surname && !p.police_given_name && !p.police_father_name && !p.police_birth_date)
      .map((p) => [p.afm, p]),
  );
  for (let page = 1; page <= 20; page++) {
    const { items, total } = await api.search({ status: 'none', per_page: 50, page });
    const found = items.find((e) => clean.has(e.afm));
    if (found) return { ...found, person: clean.get(found.afm) };
    if (page * 50 >= total) break;
  }
  throw new Error('the demo data has no employee without an application whose ΑΦΜ is cleanly in demo-people.csv');
}
