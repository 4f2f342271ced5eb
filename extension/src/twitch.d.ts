// The part of Twitch's Extension helper (twitch-ext.min.js, loaded from Twitch's CDN)
// the panel uses: https://dev.twitch.tv/docs/extensions/reference/#javascript-helper

interface TwitchAuth {
  channelId: string;
  clientId: string;
  token: string;
  helixToken?: string;
  /** The opaque user id ("U…" logged in, "A…" logged out). */
  userId: string;
}

interface TwitchContext {
  theme?: "light" | "dark";
  language?: string;
  mode?: string;
  [key: string]: unknown;
}

interface TwitchViewer {
  opaqueId: string;
  id: string | null;
  role: string;
  isLinked: boolean;
  onChanged(cb: () => void): void;
}

interface TwitchExt {
  version: string;
  environment: string;
  onAuthorized(cb: (auth: TwitchAuth) => void): void;
  onContext(cb: (ctx: TwitchContext, changed: string[]) => void): void;
  onError(cb: (err: unknown) => void): void;
  onVisibilityChanged(cb: (isVisible: boolean, ctx: TwitchContext) => void): void;
  listen(target: string, cb: (target: string, contentType: string, message: string) => void): void;
  unlisten(target: string, cb: (target: string, contentType: string, message: string) => void): void;
  actions: { requestIdShare(): void };
  viewer: TwitchViewer;
}

interface Window {
  Twitch?: { ext: TwitchExt };
  MGM_CONFIG?: { ebsUrl: string; broadcasterId?: string };
}
