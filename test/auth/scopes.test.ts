// Scope granting of the authorization server (pure): narrowing to the client's registration, flow
// rules (system/ only for backend services), SMART v1 and v2 forms, and refresh narrowing.
import { grantScopes, narrowScopes, parseResourceScope, uncoveredScopes } from '../../src/auth/scopes';

describe('scopes', () => {
  it('parses SMART v1 and v2 resource scopes', () => {
    expect(parseResourceScope('patient/Observation.read')).toMatchObject({ context: 'patient', type: 'Observation', permissions: new Set(['r', 's']) });
    expect(parseResourceScope('user/*.write')?.permissions).toEqual(new Set(['c', 'u', 'd']));
    expect(parseResourceScope('patient/Observation.rs?category=laboratory')).toMatchObject({ query: 'category=laboratory' });
    expect(parseResourceScope('system/*.cruds')?.permissions.size).toBe(5);
    for (const bad of ['patient/Observation.', 'patient/Observation.sr', 'doctor/*.rs', 'patient/observation.rs', 'openid']) expect(parseResourceScope(bad)).toBeUndefined();
  });

  it('grants what the registration covers, in the flow that allows it', () => {
    const registered = 'openid fhirUser launch/patient offline_access patient/*.rs user/Observation.cruds system/*.rs';
    expect(grantScopes(['openid', 'patient/Observation.read', 'patient/Observation.rs?category=laboratory', 'patient/*.cruds', 'user/Observation.rs', 'system/*.rs', 'profile'], registered, 'authorization_code')).toEqual([
      'openid',
      'patient/Observation.read',
      'patient/Observation.rs?category=laboratory',
      'user/Observation.rs',
    ]);
    expect(grantScopes(['system/Patient.rs', 'system/Patient.c', 'patient/*.rs', 'openid'], registered, 'client_credentials')).toEqual(['system/Patient.rs']);
  });

  it('a granular registration does not cover the unfiltered scope', () => {
    expect(grantScopes(['patient/Observation.rs'], 'patient/Observation.rs?category=laboratory', 'authorization_code')).toEqual([]);
    expect(uncoveredScopes(['patient/Observation.rs', 'patient/Observation.rs?category=laboratory'], 'patient/Observation.rs?category=laboratory')).toEqual(['patient/Observation.rs']);
  });

  it('a refresh narrows, never widens', () => {
    const granted = ['patient/*.rs', 'offline_access'];
    expect(narrowScopes(['patient/Observation.r'], granted)).toEqual(['patient/Observation.r']);
    expect(narrowScopes(['patient/Observation.rs', 'user/*.rs'], granted)).toBeUndefined();
  });
});
