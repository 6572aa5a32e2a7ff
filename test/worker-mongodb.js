// Runs in each Jest worker before its test files: with several MongoDB-protocol servers given in
// MONGODB_URIS (space-separated; .ci/run starts one FerretDB per worker), each worker uses its own.
// FerretDB serialises much of its work, so two workers sharing one instance slowed suites past
// their time limits; one instance per worker lets the two CI cores run two suites at once.
const uris = (process.env.MONGODB_URIS ?? '').split(/\s+/).filter(Boolean);
if (uris.length > 0) {
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  process.env.MONGODB_URI = uris[(Math.max(1, worker) - 1) % uris.length];
}
