/** The Slack `IncidentPresenter`: the Block Kit builders of src/slack/blocks/incident*.ts. */
import type { IncidentPresenter } from '../../incidents/presenter.js';
import { incidentList, incidentRoot, incidentUpdate } from '../blocks/incident.js';
import { mergeChoices, mergeNotes } from '../blocks/incident-merge.js';

export const slackIncidentPresenter: IncidentPresenter = {
  root: incidentRoot,
  update: incidentUpdate,
  list: incidentList,
  mergeChoices,
  mergeNotes,
};
