-- pandoc's ipynb reader puts each cell in a div; its table of contents then misses the headings of a markdown cell
-- that come after other text (the home page listed 2 of its 9 sections). Markdown cells become plain blocks.
function Div(el)
  if el.classes:includes('cell') and el.classes:includes('markdown') then return el.content end
end
