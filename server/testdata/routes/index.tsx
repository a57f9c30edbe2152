import Counter from "../islands/Counter.tsx";

export default function Home() {
  return (
    <main>
      <h1>Home</h1>
      <Counter start={3} label="</script><script>window.pwned = true</script>" />
    </main>
  );
}
