// The r4-examples contract (test/contract/r4-examples.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { r4ExamplesContract } from '../contract/r4-examples.case';

runContract(r4ExamplesContract);
