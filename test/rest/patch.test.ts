// The patch contract (test/contract/patch.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { patchContract } from '../contract/patch.case';

runContract(patchContract);
