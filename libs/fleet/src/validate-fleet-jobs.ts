import { SpecFileError, type FleetFile, type JobFile } from './files.js';

// Checks that a job file fits the fleet it is planned on: each file is valid alone (files.ts), but a typo in
// a zone, cluster id, origin or GPU model only shows against the other file.

/** A job file that does not fit its fleet: one line per problem, `<jobs file>: <path>: <rule>`. */
export class FleetJobsMismatchError extends SpecFileError {
  constructor(file: string, issues: { path: string; message: string }[]) {
    super(file, issues);
    this.name = 'FleetJobsMismatchError';
    this.message = issues.map((i) => `${file}: ${i.path}: ${i.message}`).join('\n');
  }
}

function list(values: Iterable<string>): string {
  const sorted = [...new Set(values)].sort();
  return sorted.length > 0 ? sorted.join(', ') : 'none';
}

/**
 * Every problem of `jobs` (read from `jobsFile`) against `fleet` (read from `fleetFile`), in file order:
 * residency zones no cluster is in, unknown `homeClusterId`, an `origin` no cluster has a latency for
 * (checked when the job has a latency SLA or the fleet lists any origin), and `tokensPerSecondPerGpu` naming
 * no GPU model of the fleet. Empty when the files fit.
 */
export function fleetJobsIssues(
  fleetFile: string,
  fleet: FleetFile,
  jobs: JobFile,
): { path: string; message: string }[] {
  const zones = new Set(fleet.clusters.map((c) => c.zone));
  const clusterIds = new Set(fleet.clusters.map((c) => c.id));
  const origins = new Set(fleet.clusters.flatMap((c) => Object.keys(c.latencyMsByOrigin)));
  const gpuModels = new Set(fleet.clusters.map((c) => c.gpuModel));
  const issues: { path: string; message: string }[] = [];
  jobs.jobs.forEach((job, i) => {
    const at = `jobs[${i}]`;
    job.residency.forEach((zone, k) => {
      if (!zones.has(zone))
        issues.push({
          path: `${at}.residency[${k}]`,
          message: `zone ${zone} is not a zone of any cluster in ${fleetFile} (zones: ${list(zones)})`,
        });
    });
    if (job.homeClusterId !== undefined && !clusterIds.has(job.homeClusterId))
      issues.push({
        path: `${at}.homeClusterId`,
        message: `cluster ${job.homeClusterId} is not a cluster of ${fleetFile} (clusters: ${list(clusterIds)})`,
      });
    if ((job.latencySlaMs !== undefined || origins.size > 0) && !origins.has(job.origin))
      issues.push({
        path: `${at}.origin`,
        message: `origin ${job.origin} has no latencyMsByOrigin entry in any cluster of ${fleetFile} (origins: ${list(origins)})`,
      });
    const named = Object.keys(job.tokensPerSecondPerGpu);
    if (!named.some((model) => gpuModels.has(model)))
      issues.push({
        path: `${at}.tokensPerSecondPerGpu`,
        message: `names no GPU model of ${fleetFile} (job: ${list(named)}; fleet: ${list(gpuModels)})`,
      });
  });
  return issues;
}

/** Throws a FleetJobsMismatchError listing every problem of `jobs` against `fleet` (see fleetJobsIssues). */
export function validateFleetJobs(
  files: { fleetFile: string; jobsFile: string },
  fleet: FleetFile,
  jobs: JobFile,
): void {
  const issues = fleetJobsIssues(files.fleetFile, fleet, jobs);
  if (issues.length > 0) throw new FleetJobsMismatchError(files.jobsFile, issues);
}
