// The official-examples contract (test/contract/official-examples.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { officialExamplesContract } from '../contract/official-examples.case';

runContract(officialExamplesContract);
