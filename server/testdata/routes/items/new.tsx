export default function NewItem() {
  return <p id="new-item">new item form</p>;
}
