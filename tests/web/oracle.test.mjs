// No account oracle (issue 11, point 1), from the threat: an attacker who
// tries wrong passwords on a list of names must not learn which names are
// accounts. A real account is throttled after [login] free_failures (3 in
// these tests) wrong tries; a name nobody has must be throttled the same way:
// same status, same body, same Retry-After, tried after the same number of
// failures, and a name is the same name whatever its case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, uniq } from './helpers.mjs';

const FREE = 3;
const login = (username, password = 'wrong-pass1') => new Client().post('/api/login', { username, password });
const shape = (r) => ({ status: r.status, error: r.data.error, message: r.data.message,
  keys: Object.keys(r.data).sort(), retry: r.headers.get('retry-after') !== null });

async function answers(name, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(shape(await login(name)));
  return out;
}

test('a real account and a name nobody has answer alike, throttled after the same tries', async () => {
  const real = uniq('oreal');
  await new Client().register(real);
  const ghost = uniq('oghost');
  const a = await answers(real, FREE + 3);
  const b = await answers(ghost, FREE + 3);
  assert.deepEqual(b, a, 'the same sequence of answers');
  assert.equal(a[FREE + 2].status, 429, 'both end throttled');
});

test('a throttled unknown name stays throttled, whatever case it is written in', async () => {
  const ghost = uniq('ocase');
  for (let i = 0; i < FREE; i++) await login(ghost);
  const r = await login(ghost.toUpperCase());
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
});

test('names outside the username rules are throttled like any other name', async () => {
  for (const name of ['x', 'a'.repeat(40), 'bad name!']) {
    const seq = await answers(name, FREE + 1);
    assert.equal(seq[FREE].status, 429, `${JSON.stringify(name)}: ${JSON.stringify(seq)}`);
  }
});
