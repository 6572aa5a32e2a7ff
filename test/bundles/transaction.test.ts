// The transaction contract (test/contract/transaction.case.ts) on each engine, in process.
import { runContract } from '../contract/contract';
import { transactionContract } from '../contract/transaction.case';

runContract(transactionContract);
