// The operations this server performs: the one list the registry is built from.
import type { OperationModule } from './types';
import { validateOperation } from './standard/validate';
import { versionsOperation } from './standard/versions';
import { metaOperation } from './standard/meta';
import { metaAddOperation } from './standard/meta-add';
import { metaDeleteOperation } from './standard/meta-delete';
import { reindexOperation } from './standard/reindex';
import { expungeOperation } from './standard/expunge';
import { findOperation } from './scheduling/find';
import { holdOperation } from './scheduling/hold';
import { bookOperation } from './scheduling/book';
import { cancelOperation } from './scheduling/cancel';
import { rescheduleOperation } from './scheduling/reschedule';

export function standardOperations(): OperationModule[] {
  return [versionsOperation, validateOperation, metaOperation, metaAddOperation, metaDeleteOperation, reindexOperation, expungeOperation, findOperation, holdOperation, bookOperation, cancelOperation, rescheduleOperation];
}
