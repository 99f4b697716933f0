// bench/serve: node's `http` hello server, one process per core (cluster), same bytes as the
// atoll hello handler and nginx's static file.
const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');
const port = Number(process.argv[2]);
if (cluster.isPrimary) {
  for (let i = 0; i < os.availableParallelism(); i++) cluster.fork();
} else {
  http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hello from a fresh sandbox: GET /\n');
  }).listen(port, '127.0.0.1');
}
