/**
 * A refusal or failure safe to show a person and to return to the model as a tool error. It never
 * names a host path outside the workspace: the message may travel to the model and to chat.
 */
export class WorkspaceError extends Error {
  override readonly name = 'WorkspaceError';
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
}
