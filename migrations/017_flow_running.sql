-- 1 while a flow's step runs: set when the step is claimed, cleared when it ends. A row still marked
-- at start-up is a step Jarvis died in; a step that acts (a buy's Confirm) must not run again from the
-- same answer, so that flow is ended and the person told (FlowEngine.reconcile, src/core/flows.ts).
ALTER TABLE flows ADD COLUMN running INTEGER NOT NULL DEFAULT 0;
