// Runs the engine-neutral search conformance suite on the SQLite engine.
import { describeSearchConformance } from './search.conformance';
import { makeSqliteSearchEngine } from './sqlite-search-harness';

describeSearchConformance('sqlite', makeSqliteSearchEngine);
