// The operations this server performs: the one list the registry is built from.
import type { OperationModule } from './types';
import { validateOperation } from './standard/validate';
import { versionsOperation } from './standard/versions';

export function standardOperations(): OperationModule[] {
  return [versionsOperation, validateOperation];
}
