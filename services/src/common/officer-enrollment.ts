import { KycError } from '../../../protocol/src';
import type { EnrolledOfficer, OfficerEnrollment } from './officer-routes';
import { OFFICER_NAME, type Officer, type OfficerStore } from './officers';
import type { OrgRuntime } from './org-runtime';
import type { Role } from '../../../protocol/src';

/**
 * Enrolls officers for real: fabric-ca registration with the role attribute, key generated in the org's HSM
 * token, then a bearer token for the service. The CA registration happens first, so a failure there leaves
 * no officer behind.
 */
export function officerEnrollment(store: OfficerStore, runtime: OrgRuntime, role: Role): OfficerEnrollment {
  const withIdentity = (officer: Officer): EnrolledOfficer | undefined => {
    const identity = runtime.identities.get(runtime.org.mspId, officer.name);
    return identity === undefined ? undefined : { ...officer, identity };
  };
  return {
    async enroll(name) {
      if (!OFFICER_NAME.test(name)) {
        throw new KycError('KYC_INVALID_ARGUMENT', `officer names must match ${OFFICER_NAME.source}`);
      }
      if (await store.has(name)) {
        throw new KycError('KYC_CONFLICT', `officer '${name}' exists`);
      }
      const identity = await runtime.enroll(name, role);
      const { officer, token } = await store.add(name, new Date());
      return { officer: { ...officer, identity }, token };
    },
    async list() {
      return (await store.list()).map(withIdentity).filter((o): o is EnrolledOfficer => o !== undefined);
    },
  };
}
