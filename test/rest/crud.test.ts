// The instance interactions contract (test/contract/crud.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { crudContract } from '../contract/crud.case';

runContract(crudContract);
