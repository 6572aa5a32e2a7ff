// The conditional contract (test/contract/conditional.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { conditionalContract } from '../contract/conditional.case';

runContract(conditionalContract);
