/**
 * Next.js configuration of the example shop.
 * Nothing here may fetch from the network at build time (no Google fonts, no remote images),
 * so the example builds offline.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  // The e2e test builds an Edge (middleware.ts) variant next to the Node (proxy.ts) one.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  images: { unoptimized: true },
};

export default nextConfig;
