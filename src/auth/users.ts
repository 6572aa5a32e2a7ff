// People who sign in on the built-in login page, stored in the SystemStore (collection
// `auth-user`, key = user name). Each is a FHIR user (Practitioner/Patient/… reference) with a role
// that bounds what the scopes of their apps can reach.
import type { SystemStore } from '../storage/engine';
import { listAll } from './clients';
import { hashPassword, verifyNothing, verifyPassword } from './passwords';

export const USERS = 'auth-user';
export const ROLES = ['admin', 'practitioner', 'patient'] as const;
export type Role = (typeof ROLES)[number];

export interface AuthUser {
  username: string;
  /** e.g. `Practitioner/123`: the `fhirUser` claim and, for a patient, their compartment. */
  fhirUser: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
}

const USERNAME = /^[A-Za-z0-9._@+-]{1,128}$/;
const FHIR_USER = /^(Practitioner|Patient|RelatedPerson|Person|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/;

export class UserError extends Error {}

export class UserStore {
  constructor(private readonly system: SystemStore) {}

  async add(user: { username: string; fhirUser: string; role: string; password: string }, now = new Date()): Promise<boolean> {
    if (!USERNAME.test(user.username)) throw new UserError(`user name '${user.username}' must be 1-128 characters of A-Z a-z 0-9 . _ @ + -`);
    if (!FHIR_USER.test(user.fhirUser)) throw new UserError(`--fhir-user must be a reference such as Practitioner/123 or Patient/abc, got '${user.fhirUser}'`);
    if (!(ROLES as readonly string[]).includes(user.role)) throw new UserError(`--role must be one of ${ROLES.join(', ')}, got '${user.role}'`);
    if (user.role === 'patient' && !user.fhirUser.startsWith('Patient/')) throw new UserError('a user with role patient must have --fhir-user Patient/<id>');
    if (user.password.length < 8) throw new UserError('the password must have at least 8 characters');
    const stored: AuthUser = { username: user.username, fhirUser: user.fhirUser, role: user.role as Role, passwordHash: await hashPassword(user.password), createdAt: now.toISOString() };
    return this.system.insert(USERS, user.username, stored);
  }

  async remove(username: string): Promise<boolean> {
    return USERNAME.test(username) ? this.system.delete(USERS, username) : false;
  }

  async get(username: string): Promise<AuthUser | undefined> {
    return USERNAME.test(username) ? (await this.system.get<AuthUser>(USERS, username))?.value : undefined;
  }

  async list(): Promise<AuthUser[]> {
    return listAll<AuthUser>(this.system, USERS);
  }

  /** The user when the password is right; undefined otherwise (same time either way). */
  async authenticate(username: string, password: string): Promise<AuthUser | undefined> {
    const user = await this.get(username);
    if (!user) return verifyNothing(password).then(() => undefined);
    return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
  }
}
