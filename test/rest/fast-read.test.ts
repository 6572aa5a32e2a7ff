// The fast-read contract (test/contract/fast-read.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { fastReadContract } from '../contract/fast-read.case';

runContract(fastReadContract);
