import { AutomationService } from '../../lib/aqara/intents/automations';
import { DeviceService } from '../../lib/aqara/intents/device-service';
import { IrService } from '../../lib/aqara/intents/ir-service';
import type { TokenManager } from '../../lib/tokens/manager';
import type { TokenStatus } from '../../lib/tokens/status';
import { ListingCache } from '../admin/listing-cache';
import { DeviceWatch } from '../push/device-watch';
import { PushHub } from '../push/push-hub';
import { AccountIdentity } from './account-identity';
import { NoticeMemory } from './token-notices';
import { TokenManagerHolder } from './token-manager-holder';

/** What the admin routes may do with a deployed aqara-config node. */
export interface DeployedConfig {
  readonly id: string;
  readonly label: string;
  /** The token status (the admin route's JSON). */
  tokenStatus(): TokenStatus;
  /**
   * Stores a pasted refresh token, waiting a few seconds for another process's write lock; rejects with
   * ConfigProblemError when the config cannot be used.
   */
  setRefreshToken(token: string): Promise<{ updatedAt: Date }>;
  /** The config's token manager (for Aqara calls); throws ConfigProblemError when the config cannot be used. */
  tokenManager(): TokenManager;
}

/** The caches that belong to one token manager: a new manager (other app or account) starts empty. */
interface AccountCaches {
  manager: TokenManager;
  devices: DeviceService;
  ir: IrService;
  automations: AutomationService;
  listings: ListingCache;
}

/**
 * Everything this Node-RED holds for one aqara-config id across deploys, in one object: Node-RED
 * rebuilds the config node (and its flow nodes) on every full deploy, while the token manager, the
 * push hub with its journal, the device watch, the account's identity and the caches must live on.
 * Made by the registry (config-registry.ts) on first use, disposed there when the config is removed.
 */
export class ConfigRuntime implements Readonly<{ id: string }> {
  /** The deployed config node's view, present only while that node runs: no route acts on another. */
  private deployedView: DeployedConfig | undefined;
  readonly identity = new AccountIdentity();
  readonly tokens = new TokenManagerHolder(this.identity);
  private hub: PushHub | undefined;
  private watch: DeviceWatch | undefined;
  private caches: AccountCaches | undefined;
  /** Keyed by aqara-token-status node id: a deploy must not make a node announce a lasting condition again. */
  private readonly notices = new Map<string, NoticeMemory>();

  constructor(readonly id: string) {}

  get deployed(): DeployedConfig | undefined {
    return this.deployedView;
  }

  deploy(view: DeployedConfig): void {
    this.deployedView = view;
  }

  /** Only the instance that deployed itself is taken away: a newer instance with the same id stays. */
  undeploy(view: DeployedConfig): void {
    if (this.deployedView === view) this.deployedView = undefined;
  }

  /** The push hub, made on first use; kept across deploys so pushes in between are journaled. */
  pushHub(): PushHub {
    this.hub ??= new PushHub(this.id, this.identity);
    return this.hub;
  }

  /** The hub only if one was made: the push endpoint makes none for a stranger. */
  get existingPushHub(): PushHub | undefined {
    return this.hub;
  }

  deviceWatch(): DeviceWatch {
    this.watch ??= new DeviceWatch(this);
    return this.watch;
  }

  get existingDeviceWatch(): DeviceWatch | undefined {
    return this.watch;
  }

  forgetWatch(watch: DeviceWatch): void {
    if (this.watch === watch) this.watch = undefined;
  }

  /**
   * One DeviceService per token manager, shared by the device nodes, the device watch and the
   * editor's device routes: its listing, definition and unreadable-resource caches belong to the
   * account, not to one node.
   */
  deviceService(manager: TokenManager): DeviceService {
    return this.cachesOf(manager).devices;
  }

  /**
   * The account's infrared remotes (their keys, kept a day, and the air conditioners' last known
   * states), shared by the aqara-ir nodes and the editor's key picker; remotes are checked against
   * the device service's listing.
   */
  irService(manager: TokenManager): IrService {
    return this.cachesOf(manager).ir;
  }

  /** The account's automations, shared by the aqara-automation nodes and the editor's picker. */
  automationService(manager: TokenManager): AutomationService {
    return this.cachesOf(manager).automations;
  }

  /** What the editor's pickers listed lately (listing-cache.ts). */
  listingCache(manager: TokenManager): ListingCache {
    return this.cachesOf(manager).listings;
  }

  private cachesOf(manager: TokenManager): AccountCaches {
    if (this.caches?.manager !== manager) {
      const devices = new DeviceService(manager);
      this.caches = {
        manager,
        devices,
        ir: new IrService(manager, devices),
        automations: new AutomationService(manager),
        listings: new ListingCache(),
      };
    }
    return this.caches;
  }

  noticeMemory(nodeId: string): NoticeMemory {
    let memory = this.notices.get(nodeId);
    if (!memory) {
      memory = new NoticeMemory();
      this.notices.set(nodeId, memory);
    }
    return memory;
  }

  forgetNoticeMemory(nodeId: string): void {
    this.notices.delete(nodeId);
  }

  /**
   * Lets go of everything held in memory, as a stopping process would: the manager is closed once
   * idle (the promise settles then); what is durable (the journal) stays.
   */
  close(): Promise<void> {
    this.hub = undefined;
    this.watch = undefined;
    this.identity.forget();
    this.caches = undefined;
    this.notices.clear();
    return this.tokens.dispose();
  }

  /** The config was removed from the flows: its journal rows go too. */
  remove(): Promise<void> {
    this.hub?.forgetJournal();
    return this.close();
  }
}
