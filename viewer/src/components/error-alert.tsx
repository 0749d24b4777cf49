/** An RPC's failure on the page: an `alert` region with the message, never a blank page. */
export function ErrorAlert({ message }: { readonly message: string | undefined }) {
  if (message === undefined || message === "") {
    return null;
  }
  return (
    <div class="alert" role="alert">
      {message}
    </div>
  );
}
