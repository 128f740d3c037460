/** The inspector's shell. */
export function App() {
  return <main>SPANE inspector</main>;
}
