// The demo chat: the package is installed from its packed tarball
// (node_modules/chat-realtime), loaded in client components only. Its entry
// awaits the wasm at the top level and finds it with
// `new URL('chat_realtime_bg.wasm', import.meta.url)`, which the bundler emits
// as an asset.
/** @type {import('next').NextConfig} */
export default {
  // This folder is its own project (www/ has another lockfile).
  turbopack: { root: import.meta.dirname },
  reactStrictMode: true,
  poweredByHeader: false,
  // The demo and its e2e test run the built app only; no image optimizer.
  images: { unoptimized: true },
};
