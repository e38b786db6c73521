"""Real public figures that prompts may not name: heads of state and government, politicians, royals,
religious leaders, business people, artists and athletes, weighted towards France and the EU.

One line per person: the display name (always matched, accent- and case-blind), then ``|``-separated
aliases. A surname alone is an alias only when it is distinctive: "Macron", "Zidane" and "Obama" are,
"Hollande" (Holland in French), "Poutine" (a Québec dish), "Musk" (a scent), "Jordan" and "Swift" are not.
Operators add names through ``safety.block_phrases`` and excuse a harmless phrase ("Magic Johnson Park")
through ``safety.allow_phrases``.
"""

from __future__ import annotations

_FIGURES = """
Emmanuel Macron | Macron | président Macron
Brigitte Macron
Marine Le Pen
Jean-Marie Le Pen
Marion Maréchal
Jordan Bardella | Bardella
Jean-Luc Mélenchon | Mélenchon
Gabriel Attal
Édouard Philippe
Élisabeth Borne
François Bayrou | Bayrou
Michel Barnier
Sébastien Lecornu | Lecornu
Nicolas Sarkozy | Sarkozy
Carla Bruni
François Hollande | président Hollande
Jacques Chirac | Chirac
François Mitterrand | Mitterrand
Charles de Gaulle | général de Gaulle
Valéry Giscard d'Estaing | Giscard
Éric Zemmour | Zemmour
Raphaël Glucksmann | Glucksmann
Gérald Darmanin | Darmanin
Bruno Le Maire
Rachida Dati
Anne Hidalgo
Ségolène Royal
Dominique de Villepin | Villepin
Christiane Taubira | Taubira
Ursula von der Leyen | von der Leyen
Christine Lagarde
Charles Michel
António Costa
Roberta Metsola | Metsola
Kaja Kallas
Thierry Breton
Margrethe Vestager | Vestager
Olaf Scholz | Scholz
Angela Merkel | Merkel
Friedrich Merz
Frank-Walter Steinmeier | Steinmeier
Giorgia Meloni | Meloni
Silvio Berlusconi | Berlusconi
Mario Draghi | Draghi
Sergio Mattarella | Mattarella
Pedro Sánchez
Viktor Orbán
Mark Rutte | Rutte
Geert Wilders | Wilders
Donald Tusk
Andrzej Duda
Alexander Van der Bellen
Keir Starmer | Starmer
Rishi Sunak | Sunak
Boris Johnson
Theresa May
Liz Truss
Margaret Thatcher
Tony Blair
Nigel Farage | Farage
Alexander De Croo
Bart De Wever
Leo Varadkar | Varadkar
Micheál Martin
Alexis Tsipras | Tsipras
Kyriakos Mitsotakis | Mitsotakis
Mette Frederiksen
Ulf Kristersson
Jonas Gahr Støre
Sanna Marin
Alexander Stubb
Volodymyr Zelensky | Zelensky | Zelenskyy | Zelenskiy | Zelenski | Volodymyr Zelenskyy
Vladimir Putin | Putin | Vladimir Poutine | président Poutine
Dmitry Medvedev | Medvedev
Sergei Lavrov | Lavrov
Alexei Navalny | Navalny
Alexander Lukashenko | Lukashenko | Loukachenko
Recep Tayyip Erdoğan | Erdogan | Erdoğan
Donald Trump | Trump | président Trump | Melania Trump | Ivanka Trump
Joe Biden | Biden
Kamala Harris
Barack Obama | Obama
Michelle Obama
Hillary Clinton
Bill Clinton
George W. Bush | George Bush
JD Vance | J.D. Vance
Nancy Pelosi | Pelosi
Bernie Sanders
Alexandria Ocasio-Cortez | Ocasio-Cortez
Marco Rubio
Ron DeSantis | DeSantis
Mike Pence
Abraham Lincoln
John F. Kennedy
Justin Trudeau | Trudeau
Mark Carney
Javier Milei | Milei
Luiz Inácio Lula da Silva | Lula da Silva
Jair Bolsonaro | Bolsonaro
Nicolás Maduro
Andrés Manuel López Obrador | López Obrador
Claudia Sheinbaum | Sheinbaum
Fidel Castro
Xi Jinping | Jinping
Mao Zedong | Mao Tsé-toung
Kim Jong-un | Kim Jong Un
Kim Jong-il
Narendra Modi
Shinzo Abe
Fumio Kishida | Kishida
Benjamin Netanyahu | Netanyahu | Netanyahou
Mahmoud Abbas
Ali Khamenei | Khamenei
Mohammed bin Salman
Bashar al-Assad | Bachar al-Assad
Ahmed al-Sharaa
Abdel Fattah el-Sisi | al-Sissi
Cyril Ramaphosa | Ramaphosa
Nelson Mandela | Mandela
Paul Kagame | Kagame
Volker Türk
António Guterres | Guterres
Pope Francis | pape François
Pope Leo XIV | pape Léon XIV
Pope Benedict XVI | Benoît XVI
Dalai Lama
King Charles III | roi Charles III | Charles III
Queen Elizabeth II | reine Elizabeth II | Elizabeth II
Prince William
Kate Middleton | Catherine Middleton
Prince Harry
Meghan Markle
Felipe VI
King Willem-Alexander | Willem-Alexander
Queen Máxima
Albert II of Monaco | prince Albert de Monaco
Adolf Hitler | Hitler
Joseph Stalin | Stalin | Staline
Benito Mussolini | Mussolini
Osama bin Laden | Oussama ben Laden | Ben Laden | Bin Laden
Saddam Hussein
Muammar Gaddafi | Kadhafi | Gaddafi
Pol Pot
Elon Musk
Jeff Bezos | Bezos
Mark Zuckerberg | Zuckerberg
Bill Gates
Melinda French Gates
Steve Jobs
Tim Cook
Sundar Pichai | Pichai
Satya Nadella | Nadella
Sam Altman
Jensen Huang
Warren Buffett
Bernard Arnault
Xavier Niel
Vincent Bolloré | Bolloré
Françoise Bettencourt Meyers
Peter Thiel
George Soros | Soros
Greta Thunberg | Thunberg
Oprah Winfrey | Oprah
Taylor Swift
Beyoncé | Beyonce
Rihanna
Lady Gaga
Madonna Ciccone
Kim Kardashian | Kardashian | Kylie Jenner | Kendall Jenner
Kanye West | Ye West
Justin Bieber | Bieber
Ariana Grande
Selena Gomez
Billie Eilish
Ed Sheeran | Sheeran
Harry Styles
Dua Lipa
Olivia Rodrigo
Sabrina Carpenter
Miley Cyrus
Britney Spears
Jennifer Lopez | J.Lo
Shakira
Katy Perry
Eminem
Snoop Dogg
Jay-Z
Travis Scott
The Weeknd
Bad Bunny
Aubrey Drake Graham | rapper Drake
Elton John
Paul McCartney | McCartney
Mick Jagger
Bruce Springsteen | Springsteen
Bob Dylan
Michael Jackson
Freddie Mercury
Céline Dion
Aya Nakamura
Mylène Farmer
Johnny Hallyday | Hallyday
Stromae
Angèle Van Laeken
Orelsan
Booba
Gims | Maître Gims
Nicola Sirkis
Charles Aznavour | Aznavour
Édith Piaf
Serge Gainsbourg | Gainsbourg
Jane Birkin
Christophe Maé
Tom Cruise
Brad Pitt
Angelina Jolie
Leonardo DiCaprio | DiCaprio
Scarlett Johansson
Jennifer Lawrence
Jennifer Aniston
Emma Watson
Emma Stone
Keanu Reeves
Morgan Freeman
Tom Hanks
Will Smith
Dwayne Johnson
Margot Robbie
Zendaya
Timothée Chalamet | Chalamet
Ryan Gosling
Ryan Reynolds
Robert Downey Jr | Robert Downey
Chris Hemsworth
Johnny Depp
Amber Heard
Meryl Streep
Nicole Kidman
Natalie Portman
Anne Hathaway
Denzel Washington
Samuel L. Jackson
Arnold Schwarzenegger | Schwarzenegger
Sylvester Stallone | Stallone
Jackie Chan
Cillian Murphy
Pedro Pascal
Sydney Sweeney
Jenna Ortega
Florence Pugh
Millie Bobby Brown
Marilyn Monroe
Charlie Chaplin
Steven Spielberg | Spielberg
Quentin Tarantino | Tarantino
Christopher Nolan
Martin Scorsese | Scorsese
Marion Cotillard | Cotillard
Omar Sy
Jean Dujardin | Dujardin
Gérard Depardieu | Depardieu
Catherine Deneuve | Deneuve
Brigitte Bardot | Bardot
Sophie Marceau
Léa Seydoux | Seydoux
Isabelle Huppert | Huppert
Juliette Binoche | Binoche
Vincent Cassel
Eva Green
Audrey Tautou
Jean Reno
Alain Delon
Jean-Paul Belmondo | Belmondo
Louis de Funès | de Funès
Dany Boon
Kev Adams
Gad Elmaleh | Elmaleh
Jamel Debbouze | Debbouze
Adèle Haenel
Virginie Efira | Efira
Pierre Niney
François Civil
Luc Besson
Cyril Hanouna | Hanouna
Squeezie
Norman Thavaud
Inoxtag
Kylian Mbappé | Mbappé | Mbappe
Zinedine Zidane | Zidane | Zizou
Antoine Griezmann | Griezmann
Karim Benzema | Benzema
Paul Pogba | Pogba
Ousmane Dembélé | Dembélé
Didier Deschamps
Thierry Henry
Michel Platini | Platini
Teddy Riner
Léon Marchand
Tony Parker
Victor Wembanyama | Wembanyama | Wemby
Antoine Dupont
Lionel Messi | Messi
Cristiano Ronaldo | Ronaldo
Neymar
Erling Haaland | Haaland
Jude Bellingham
Lamine Yamal
Mohamed Salah
Robert Lewandowski | Lewandowski
Luka Modrić | Modric
Harry Kane
David Beckham | Beckham | Victoria Beckham
Diego Maradona | Maradona
LeBron James
Michael Jordan
Stephen Curry
Kobe Bryant
Shaquille O'Neal | Shaq
Magic Johnson
Serena Williams
Venus Williams
Roger Federer | Federer
Rafael Nadal | Nadal
Novak Djokovic | Djokovic
Carlos Alcaraz | Alcaraz
Jannik Sinner
Iga Świątek | Swiatek
Usain Bolt
Simone Biles
Michael Phelps
Lewis Hamilton
Max Verstappen | Verstappen
Charles Leclerc
Pierre Gasly
Tiger Woods
Tom Brady
Muhammad Ali
Mike Tyson
Conor McGregor | McGregor
Tadej Pogačar | Pogacar
Julian Alaphilippe | Alaphilippe
Stephen Hawking
Albert Einstein
Julian Assange | Assange
Edward Snowden | Snowden
Jeffrey Epstein | Epstein
Ghislaine Maxwell
Harvey Weinstein | Weinstein
Andrew Tate
Jordan Peterson
Joe Rogan
MrBeast | Mr Beast
PewDiePie
Kate Moss
Naomi Campbell
Gisele Bündchen
Bella Hadid | Gigi Hadid
Karl Lagerfeld | Lagerfeld
Coco Chanel
Yves Saint Laurent
Thomas Pesquet | Pesquet
Marie Curie
Simone Veil
Thomas Sankara
Emmanuel Todd
Michel Houellebecq | Houellebecq
Annie Ernaux
Kylie Minogue
Jean-Michel Jarre
David Guetta | Guetta
Daft Punk
Mathieu Kassovitz
""".strip()


def public_figures() -> list[tuple[str, list[str]]]:
    """(display name, patterns) for every figure: the display name first, then its aliases."""
    figures = []
    for line in _FIGURES.splitlines():
        names = [part.strip() for part in line.split("|") if part.strip()]
        figures.append((names[0], names))
    return figures
