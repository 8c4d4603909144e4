// Exits a benchmark child when the bench process that started it is gone (so no orphan keeps a core busy).
export function watchParent() {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}
