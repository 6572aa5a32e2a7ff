// The errors contract (test/contract/errors.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { errorsContract } from '../contract/errors.case';

runContract(errorsContract);
