import type { ComponentChildren } from "preact";

/** One labelled value of a description list (`<dl>`): a summary's field. */
export function Fact(props: { readonly label: string; readonly numeric?: boolean; readonly children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{props.label}</dt>
      <dd class={props.numeric === true ? "num" : undefined}>{props.children}</dd>
    </div>
  );
}
