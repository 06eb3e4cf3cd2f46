/**
 * A message as a presenter renders it and the outbox takes it: opaque to the domain, which only passes it
 * on. The domain asks its presenter (IncidentPresenter, PlanPresenter, ApprovalPresenter) for one and
 * never builds a platform's markup itself (docs/internals.md, "The presentation seam").
 */
import type { PostInput } from '../outbox/index.js';

/** Rendered text: the domain's `RichText`, or what a presenter made of it. */
export type MessageText = PostInput['text'];

export interface MessageView {
  readonly text: MessageText;
  readonly blocks?: PostInput['blocks'];
}
