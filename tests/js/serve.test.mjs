import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../../scripts/serve.mjs';

test('the dev server sends CORS headers for modules and wasm, answers OPTIONS, and stays inside its root', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'epim-serve-'));
  fs.mkdirSync(path.join(dir, 'js'));
  fs.writeFileSync(path.join(dir, 'js', 'element.js'), 'export {};');
  fs.writeFileSync(path.join(dir, 'core.wasm'), Buffer.from([0, 97, 115, 109]));
  const { server, url } = await serve(dir);
  try {
    for (const [file, type] of [['js/element.js', 'text/javascript; charset=utf-8'], ['core.wasm', 'application/wasm']]) {
      const res = await fetch(url + file, { headers: { origin: 'http://course.example' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    }
    const pre = await fetch(url + 'core.wasm', { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal((await fetch(`${url}..%2f..%2fetc%2fpasswd`)).status, 403);
    assert.equal((await fetch(`${url}missing.js`)).status, 404);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
