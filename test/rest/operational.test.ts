// The operational contract (test/contract/operational.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { operationalContract } from '../contract/operational.case';

runContract(operationalContract);
