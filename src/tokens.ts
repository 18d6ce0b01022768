/**
 * Shared identifiers and the shapes of the server's REST API (jupyterlab_smcost/data/openapi.yaml).
 */
import type { components, paths } from './api';

/** The id of the main plugin; also the settings key in schema/plugin.json. */
export const PLUGIN_ID = 'jupyterlab-smcost:plugin';

/** The id of the sidebar panel widget. */
export const PANEL_ID = 'jupyterlab-smcost-panel';

/** The id of the status bar item. */
export const STATUS_ITEM_ID = 'jupyterlab-smcost:status';

/** Command ids. */
export namespace CommandIDs {
  export const open = 'smcost:open-panel';
  export const keepRunning = 'smcost:keep-running';
  export const shutdown = 'smcost:shutdown-now';
}

/*
 * The REST API's shapes come from jupyterlab_smcost/data/openapi.yaml through
 * src/api.ts (generated: `jlpm build:api`; a jest test fails when it is stale).
 * Only their names are written here.
 */
type Schemas = components['schemas'];
type Json<T> = T extends { content: { 'application/json': infer B } }
  ? B
  : never;

export type PriceSource = Schemas['PriceSource'];
export type IdleState = Schemas['Idle']['state'];
export type IEnvironment = Schemas['Environment'];
export type IInstance = Schemas['Instance'];
export type IPrice = Schemas['PriceQuote'];
export type ICost = Schemas['Cost'];
export type IIdle = Schemas['Idle'];
export type IMessage = Schemas['Message'];
/** GET smcost/status */
export type IStatus = Schemas['Status'];
/** GET smcost/idle */
export type IIdleSettings = Schemas['IdleSettings'];
/** PUT smcost/idle (body) */
export type IIdleSettingsUpdate = Schemas['IdleSettingsUpdate'];
/** PUT smcost/idle (reply: the settings and the new deadline) */
export type IIdleSettingsReply = Json<paths['/idle']['put']['responses'][200]>;
/** POST smcost/idle/keepalive */
export type IKeepAliveReply = Json<
  paths['/idle/keepalive']['post']['responses'][200]
>;
/** POST smcost/idle/shutdown-saves */
export type IShutdownSavesReply = Json<
  paths['/idle/shutdown-saves']['post']['responses'][200]
>;
/** POST smcost/shutdown */
export type IShutdownReply = Json<paths['/shutdown']['post']['responses'][202]>;
export type IRecommendation = Schemas['Recommendation'];
/** GET smcost/recommendations (may not exist: 404 hides the section) */
export type IRecommendations = Schemas['Recommendations'];
/** GET/POST smcost/switch */
export type ISwitchStatus = Schemas['Switch'];
export type ISwitchStep = ISwitchStatus['steps'][number];
export type SwitchState = Schemas['SwitchState'];
/** GET smcost/history */
export type IHistory = Schemas['History'];
/** The horizon the recommendation read (GET recommendations and GET history?range=horizon). */
export type IHorizon = NonNullable<Schemas['Horizon']>;
export type IUsagePoint = Schemas['UsagePoint'];
export type IUtilization = Schemas['Utilization'];
/** What Cost Explorer billed (null unless the administrator turned it on). */
export type IBilled = NonNullable<Schemas['Billed']>;
export type ISpendDay = NonNullable<IHistory['spend']>['days'][number];
/** GET smcost/ledger: what idle shutdown and switches saved this month. */
export type ILedger = Schemas['Ledger'];
export type ILedgerFigures = Schemas['LedgerFigures'];
export type ILedgerDay = Schemas['LedgerDay'];
/** GET smcost/elsewhere: what else bills for this user. */
export type IElsewhere = Schemas['Elsewhere'];
export type IElsewhereItem = Schemas['ElsewhereItem'];
/** POST smcost/elsewhere/stop (body) */
export type IElsewhereStop = NonNullable<
  paths['/elsewhere/stop']['post']['requestBody']
>['content']['application/json'];
/** POST smcost/elsewhere/stop (reply) */
export type IElsewhereStopReply = Json<
  paths['/elsewhere/stop']['post']['responses'][200]
>;
