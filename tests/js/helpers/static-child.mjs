// A bare static server on web-demo/static.mjs, for tests that need mounts of their own:
// TAPGATE_TEST_MOUNTS is a JSON array of [prefix, folder, precompressed folder?].
import { createServer } from 'node:http';
import { serveStatic } from '../../../web-demo/static.mjs';

const mounts = JSON.parse(process.env.TAPGATE_TEST_MOUNTS);
const http = createServer(async (req, res) => {
  if (!(await serveStatic(req, res, mounts))) res.writeHead(404).end('not found');
});
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address();
  console.log(JSON.stringify({ event: 'listening', port, url: `http://127.0.0.1:${port}` }));
});
