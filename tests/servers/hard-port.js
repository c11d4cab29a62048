// A dev server with its port written in the code (here: its first argument, in a form portfix
// does not read): it ignores $PORT, so a relaunch on another port fails on the same one again.
const http = require("http");
const port = Number(process.argv[2]);
console.log(`starting ${process.pid} on ${port}`);
http.createServer((req, res) => res.end(`ok ${port}\n`)).listen(port, "127.0.0.1");
