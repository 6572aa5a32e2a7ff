// Says loudly, once per run, which storage engines the engine-parameterised suites will exercise.
module.exports = async () => {
  const uri = process.env.MONGODB_URI;
  if (uri) {
    console.log(`\n[nimbus-fhir tests] engines: sqlite + mongodb (MONGODB_URI is set)\n`);
  } else {
    console.log(
      '\n[nimbus-fhir tests] engines: sqlite ONLY — MONGODB_URI is not set, so every MongoDB engine run is SKIPPED.\n' +
        '  .ci/run provisions FerretDB and sets MONGODB_URI; to run them locally, point MONGODB_URI at a MongoDB-protocol server.\n',
    );
  }
};
