/** The live dashboard (its charts arrive with the dashboard issue). */
export default function Dashboard() {
  return (
    <main class="page">
      <h1>Ad funnel dashboard</h1>
    </main>
  );
}
