// A small static file server for www/: correct MIME types (application/wasm for
// .wasm, so instantiateStreaming works), no caching, no directory escapes, and
// CORS headers (Access-Control-Allow-Origin: *) so that <epim-playground> (a module
// script) and the wasm it loads work from a page on another origin.
// Usage: node scripts/serve.mjs [ROOT]   (PORT and HOST override 8080 / 127.0.0.1)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/** Sent with every response: module scripts and fetched wasm from another origin need them. */
export const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'cross-origin-resource-policy': 'cross-origin',
};

/** Returns an http.Server serving the files under `root`. */
export function createStaticServer(root) {
  const base = path.resolve(root);
  return http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(base, '.' + rel);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-cache',
        ...CORS,
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
}

/** Starts serving `root` on host:port (port 0 picks a free one); resolves to the URL. */
export function serve(root, { port = 0, host = '127.0.0.1' } = {}) {
  const server = createStaticServer(root);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolve({ server, url: `http://${host}:${p}/` });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = process.argv[2] ?? path.join(here, '..', 'www');
  if (!fs.existsSync(path.join(root, 'pkg', 'epim_bg.wasm'))) {
    console.error(`serve: ${root}/pkg has no wasm build; run 'npm run build:wasm' (or 'npm start') first`);
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  serve(root, { port, host })
    .then(({ url }) => console.log(`EPIM playground: ${url}  (Ctrl-C to stop)`))
    .catch((e) => {
      console.error(`serve: cannot listen on ${host}:${port}: ${e.message} (set PORT to use another port)`);
      process.exit(1);
    });
}
