/** The shop's front page (the ad flow arrives with the shop issue). */
export default function Shop() {
  return (
    <main class="page">
      <h1>The shop</h1>
      <p>
        <a href="/dashboard">Dashboard</a>
      </p>
    </main>
  );
}
