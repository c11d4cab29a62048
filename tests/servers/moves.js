// A dev server that, like Vite, moves to another port by itself when its port is in use, and
// words it as Vite does. It wants the port in its first argument (a form portfix does not read)
// and, when that is taken, lets the OS choose one.
const http = require("http");
const wanted = Number(process.argv[2]);
const server = http.createServer((req, res) => res.end("ok\n"));
server.once("error", (e) => {
  if (e.code !== "EADDRINUSE") throw e;
  console.log(`Port ${wanted} is in use, trying another one...`);
  server.listen(0, "127.0.0.1");
});
server.on("listening", () => {
  console.log(`  ➜  Local:   http://localhost:${server.address().port}/`);
});
server.listen(wanted, "127.0.0.1");
