// A dev server that moves to another port by itself when its port ($PORT) is taken, and says
// nothing about it: only the socket table tells where it went.
const http = require("http");
const server = http.createServer((req, res) => res.end("ok\n"));
server.once("error", (e) => {
  if (e.code !== "EADDRINUSE") throw e;
  server.listen(0, "127.0.0.1");
});
server.on("listening", () => console.log("serving"));
server.listen(Number(process.env.PORT), "127.0.0.1");
