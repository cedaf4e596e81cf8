CREATE TABLE job_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER,
  outcome TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'error', 'skipped')),
  detail TEXT
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);

-- When each job is next due, so a run missed while the daemon was down can be detected.
CREATE TABLE job_state (
  job TEXT PRIMARY KEY,
  next_due_at INTEGER
);
