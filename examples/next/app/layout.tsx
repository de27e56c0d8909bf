import type { ReactNode } from 'react';

export const metadata = { title: 'Mapp S2S example shop (Next.js)' };

/** Shared layout. No web fonts or remote assets: the example builds and runs offline. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <link rel="stylesheet" href="/static/app.css" />
      </head>
      <body>
        <nav>
          <a href="/">Shop</a> · <a href="/cart">Cart</a>
        </nav>
        <main>{children}</main>
      </body>
    </html>
  );
}
