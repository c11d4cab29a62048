// A dev server that takes its port from $PORT, else from its first argument (a form portfix
// does not read), and answers every request with "ok PORT". Binds 127.0.0.1 only.
const http = require("http");
const port = Number(process.env.PORT || process.argv[2]);
console.log(`starting ${process.pid} on ${port}`);
http.createServer((req, res) => res.end(`ok ${port}\n`)).listen(port, "127.0.0.1");
