// A stand-in dev server for lifecycle tests: says who it is, then runs until signalled.
// It listens on nothing, so it needs no port; the tests only follow its process tree.
console.log(`ready ${process.pid}`);
setInterval(() => {}, 1000);
