// The job service of a server without asynchronous operations: no operation it registers runs
// asynchronously, so there is never a job to report on.
import { errors } from '../fhir/errors';
import type { JobService } from './jobs';

export const noJobs: JobService = {
  submit: async () => {
    throw new Error('no operation of this server runs asynchronously');
  },
  status: async (_ctx, jobId) => {
    throw errors.unknownJob(jobId);
  },
  cancel: async (_ctx, jobId) => {
    throw errors.unknownJob(jobId);
  },
};
