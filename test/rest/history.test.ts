// The history contract (test/contract/history.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { historyContract } from '../contract/history.case';

runContract(historyContract);
