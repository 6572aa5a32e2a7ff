// The search contract (test/contract/search.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { searchContract } from '../contract/search.case';

runContract(searchContract);
